"héllo ☃ \u2603"
