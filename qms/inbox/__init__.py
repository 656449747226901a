"""What waits for me: records to sign, work assigned or due, my orders' next steps."""
