let { body = u; }
