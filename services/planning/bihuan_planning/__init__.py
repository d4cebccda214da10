"""Planning (立项): the year's target book, from spreadsheet to published, signed and adjustable targets."""
