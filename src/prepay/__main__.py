import sys

from prepay.cli import main

sys.exit(main())
