<a/b.c>
