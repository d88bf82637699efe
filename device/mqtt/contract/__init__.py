"""The teller contract: typed payload models, and the AsyncAPI 3 document generated from them."""
