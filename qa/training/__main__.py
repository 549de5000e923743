"""`python -m qa.training` (make train): fit the models and report how they carry over."""
import sys

from .train import main

sys.exit(main())
