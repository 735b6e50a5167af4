"""Sub-commands of `riftcast`; each module exposes `register(subparsers)`."""
