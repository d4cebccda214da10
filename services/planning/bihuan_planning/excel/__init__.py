"""Spreadsheets in and out: the layouts target offices already use."""
