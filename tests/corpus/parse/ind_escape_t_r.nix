''a''\tb''\rc''
