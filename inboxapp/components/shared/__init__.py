"""Components every page shares: the layout (``template``, sidebar, navbar, user menu, workspace
switcher), the workspace gate, feedback (spinners, callouts) and test ids."""
