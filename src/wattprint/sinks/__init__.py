"""Where results go: files, logs, services. Sinks never raise into user code."""
