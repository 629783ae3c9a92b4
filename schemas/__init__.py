"""msgspec Structs shared by the API and its clients: input, output and constraint aliases."""
