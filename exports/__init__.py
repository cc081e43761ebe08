"""Documents made from plain data (dicts, lists, dates, numbers), never from ORM objects."""
