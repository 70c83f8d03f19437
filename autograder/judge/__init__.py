"""The judge: everything that decides a grade, in a process that never imports a submission."""
