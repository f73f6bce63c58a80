f: f ./a
