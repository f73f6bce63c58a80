let in
