"""Adapters for RL trainers: ``verl`` (multi-turn interaction and tools) and ``trl`` (rollout and
reward functions). Neither imports its trainer: they have the shape the trainer calls."""
