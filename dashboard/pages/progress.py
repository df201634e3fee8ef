import streamlit as st

st.title('progress')
