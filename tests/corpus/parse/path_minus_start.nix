[ -a/b +c/d ]
