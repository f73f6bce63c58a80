a: a ]
