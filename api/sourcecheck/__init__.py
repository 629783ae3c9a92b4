"""Source checks: is the page behind a source still there, and does it still say the same?"""
