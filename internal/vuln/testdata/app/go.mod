module example.com/vulnapp

go 1.26

require example.com/vulnlib v1.0.0
