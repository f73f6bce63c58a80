a_b:a_b
