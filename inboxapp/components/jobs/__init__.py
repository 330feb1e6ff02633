"""The jobs screen's components: the job status table and its notices."""
