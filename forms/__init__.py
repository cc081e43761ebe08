"""WTForms, one module per area. All user input is validated here, never by hand in views."""
