"""`branchdoor demo` and the harness it shares with the tests: a throwaway broker and a door scene."""
