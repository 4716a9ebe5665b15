enum PKIHTTPPlaceholder {}
