import sys

from fusion.engine.cli import main

sys.exit(main())
