(./a).b or 1
