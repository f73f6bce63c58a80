{ inherit; inherit ({}) ; }
