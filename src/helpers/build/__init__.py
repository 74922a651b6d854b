"""The build: plan, cache, executors and kernels, atomic publishing (``playbook run``)."""
