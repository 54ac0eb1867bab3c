"""Advice: what the same energy would emit elsewhere or at another time, rankings on one basis."""
