"aÿb"
