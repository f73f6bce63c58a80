[ x:/a x:./a ]
