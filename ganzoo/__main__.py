"""`python -m ganzoo ...`: the same command line as `ganzoo ...`."""
from ganzoo.cli import run

if __name__ == "__main__":
    run()
