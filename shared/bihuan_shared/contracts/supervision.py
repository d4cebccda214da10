"""Facts supervision publishes (warnings, orders, objective metrics). Filled in by the supervision issue."""
