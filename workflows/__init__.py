"""The national baseline workflow definitions (installed as ``zhifa.workflows``)."""
