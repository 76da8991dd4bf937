"""Mail: messages written to the outbox with the change they announce, and sent after."""
