/** doc */ x: x
