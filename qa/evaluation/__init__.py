"""Question sets, accuracy runs, HTML reports and threshold calibration."""
