"""The runtime: values, thunks, environments, operators, calls and printing."""
