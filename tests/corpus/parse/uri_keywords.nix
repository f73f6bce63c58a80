[ or:x if:y ]
