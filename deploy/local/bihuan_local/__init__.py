"""Run the whole system on one machine without containers (`make up`), and seed the demo district."""
