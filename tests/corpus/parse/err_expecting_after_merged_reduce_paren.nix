a: ( a ]
