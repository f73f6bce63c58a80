[ x:y https://example.com/a/b ]
