"s" or
