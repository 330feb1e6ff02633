from inboxapp.cli import main

raise SystemExit(main())
