[ if/a or/b ]
