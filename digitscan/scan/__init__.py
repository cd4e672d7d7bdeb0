"""Reading digit strings from image files: the stages of a scan, the pipeline that runs them, and its outputs.

load -> segment -> normalise (in worker processes) -> classify -> assemble,
then write and overlay; `pipeline.Scanner` runs them, `evaluate` scores them.
"""
