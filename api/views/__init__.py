"""API views, one module per resource. They validate input and call services, nothing else."""
