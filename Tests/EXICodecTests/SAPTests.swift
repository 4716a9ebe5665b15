import EXI
import SAPMessages
import Testing
