a: a."if"."then"
